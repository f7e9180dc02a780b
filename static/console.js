// The console's menu button at phone width: it shows and hides the sidebar. Without this
// script the sidebar stays visible above the page, so nothing depends on it.
(() => {
  const button = document.querySelector('.menu-button');
  const sidebar = document.getElementById('sidebar');
  if (!button || !sidebar) return;
  document.body.classList.add('has-menu-button');
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    sidebar.classList.toggle('open', open);
  });
})();

// Pickers: the filter box above a list of checkboxes hides the entries that do not match.
document.querySelectorAll('fieldset.checklist').forEach((list) => {
  const filter = list.querySelector('input.filter');
  if (!filter) return;
  filter.hidden = false;
  filter.addEventListener('input', () => {
    const wanted = filter.value.trim().toLowerCase();
    list.querySelectorAll('li').forEach((item) => {
      item.hidden = wanted !== '' && !item.textContent.toLowerCase().includes(wanted);
    });
  });
});
