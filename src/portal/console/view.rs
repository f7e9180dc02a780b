//! The building blocks of console pages: sections holding facts, tables, policy documents and
//! forms, rendered by one template (`templates/console.html`), so every IAM page looks and
//! behaves alike.

use askama::Template;

use crate::portal::pages::SignedIn;

/// A form field.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub label: String,
    pub name: String,
    /// `text`, `password`, `textarea`, `select`, `checkbox`, `number`, `hidden`, or
    /// `checklist`: a filterable list of checkboxes (`options`), each posted as
    /// `<name>:<value>`, read with [`super::picked`]; none ticked at first.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub hint: String,
    pub checked: bool,
    /// Why the value typed here was refused, shown next to the field.
    pub error: String,
    /// Limits known in advance, checked by the browser too (0 / "" for none).
    pub maxlength: usize,
    pub pattern: String,
    /// What `pattern` asks for, in words (the browser's message when it is not met).
    pub pattern_words: String,
}

impl Field {
    fn of(kind: &'static str, label: &str, name: &str) -> Self {
        Self {
            label: label.to_string(),
            name: name.to_string(),
            kind,
            ..Self::default()
        }
    }
    pub fn text(label: &str, name: &str) -> Self {
        Self::of("text", label, name)
    }
    pub fn password(label: &str, name: &str) -> Self {
        Self::of("password", label, name)
    }
    pub fn email(label: &str, name: &str) -> Self {
        Self::of("email", label, name)
    }
    pub fn textarea(label: &str, name: &str) -> Self {
        Self::of("textarea", label, name)
    }
    pub fn number(label: &str, name: &str) -> Self {
        Self::of("number", label, name)
    }
    pub fn checkbox(label: &str, name: &str, checked: bool) -> Self {
        Self {
            checked,
            ..Self::of("checkbox", label, name)
        }
    }
    pub fn hidden(name: &str, value: &str) -> Self {
        Self::of("hidden", "", name).value(value)
    }
    pub fn select(label: &str, name: &str, options: Vec<(String, String)>) -> Self {
        Self {
            options,
            ..Self::of("select", label, name)
        }
    }
    /// A picker: choose any number of `options` (value, text) from a list with a filter box.
    /// Nothing is chosen until the person ticks it.
    pub fn checklist(label: &str, name: &str, options: Vec<(String, String)>) -> Self {
        Self {
            options,
            ..Self::of("checklist", label, name)
        }
    }
    /// Whether the checklist option `value` is ticked (after a refused post).
    pub fn ticked(&self, value: &str) -> bool {
        self.value.split('\n').any(|v| v == value)
    }
    pub fn value(mut self, value: &str) -> Self {
        self.value = value.to_string();
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = hint.to_string();
        self
    }
    pub fn error(mut self, error: &str) -> Self {
        self.error = error.to_string();
        self
    }
    pub fn maxlength(mut self, max: usize) -> Self {
        self.maxlength = max;
        self
    }
    /// A pattern the browser checks before posting, and what it asks for in words.
    pub fn pattern(mut self, pattern: &str, words: &str) -> Self {
        self.pattern = pattern.to_string();
        self.pattern_words = words.to_string();
        self
    }
    /// An IAM name (user, group, role, policy) of at most `max` characters.
    pub fn iam_name(self, max: usize) -> Self {
        self.required()
            .maxlength(max)
            .pattern(r"[\w+=,.@\-]+", "letters, digits and + = , . @ _ - only")
    }
}

/// A form; POST forms carry the session's CSRF token.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub id: String,
    pub action: String,
    pub post: bool,
    pub submit: String,
    pub fields: Vec<Field>,
    /// One line of small controls (filters, row actions) rather than a stacked form.
    pub inline: bool,
    pub danger: bool,
    /// For screen readers, the submit button's full name ("Delete access key AKIA…") when
    /// the visible text names no object.
    pub aria_label: String,
}

impl Form {
    pub fn post(id: &str, action: &str, submit: &str) -> Self {
        Self {
            id: id.to_string(),
            action: action.to_string(),
            post: true,
            submit: submit.to_string(),
            ..Self::default()
        }
    }
    pub fn get(id: &str, action: &str, submit: &str) -> Self {
        Self {
            post: false,
            ..Self::post(id, action, submit)
        }
    }
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }
    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }
    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }

    /// A destructive form that asks first: posting it shows a page titled `question`
    /// ("Delete user alice?") that says `loss` (what will be lost) and runs the change only
    /// once `name` is typed (see `console::confirm`). The button is styled as dangerous.
    pub fn confirm(mut self, question: &str, name: &str, loss: &str) -> Self {
        self.danger = true;
        self.fields
            .push(Field::hidden(super::confirm::QUESTION, question));
        self.fields.push(Field::hidden(super::confirm::NAME, name));
        self.fields.push(Field::hidden(super::confirm::LOSS, loss));
        self
    }

    /// The submit button's name for screen readers ("Remove alice from Admins").
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.aria_label = label.into();
        self
    }
}

/// A table cell: text, a link when `href` is not empty.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub href: String,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            href: String::new(),
        }
    }
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            href: href.into(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Small POST forms at the end of the row (remove, detach, ...).
    pub actions: Vec<Form>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub id: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub empty: String,
    /// Per column, the link that sorts by it ("" for a column that does not sort).
    pub sort_links: Vec<String>,
    /// Per column, its `aria-sort` ("ascending", "descending", or "" when not sorted by it).
    pub sorted: Vec<String>,
    /// Which rows these are, as "1–50 of 58" (empty for a table shown whole).
    pub range: String,
}

impl Table {
    pub fn new(id: &str, columns: &[&str], empty: &str) -> Self {
        Self {
            id: id.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            empty: empty.to_string(),
            ..Self::default()
        }
    }

    /// Makes column `index` a link that sorts by it; `order` is its current order, if the
    /// table is sorted by it.
    pub fn sortable(mut self, index: usize, href: String, order: Option<bool>) -> Self {
        let n = self.columns.len();
        self.sort_links.resize(n, String::new());
        self.sorted.resize(n, String::new());
        if index < n {
            self.sort_links[index] = href;
            self.sorted[index] = match order {
                Some(true) => "descending".into(),
                Some(false) => "ascending".into(),
                None => String::new(),
            };
        }
        self
    }

    /// The sort link of column `i` ("" when it does not sort).
    pub fn sort_link(&self, i: &usize) -> &str {
        self.sort_links.get(*i).map_or("", String::as_str)
    }

    /// The `aria-sort` of column `i`.
    pub fn sorted_as(&self, i: &usize) -> &str {
        self.sorted.get(*i).map_or("", String::as_str)
    }
    pub fn row(&mut self, cells: Vec<Cell>, actions: Vec<Form>) {
        self.rows.push(Row { cells, actions });
    }
    pub fn has_actions(&self) -> bool {
        self.rows.iter().any(|r| !r.actions.is_empty())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub lines: Vec<String>,
    /// Term and description pairs.
    pub facts: Vec<(String, String)>,
    /// A policy document or other preformatted text.
    pub code: String,
    pub tables: Vec<Table>,
    pub forms: Vec<Form>,
    pub links: Vec<(String, String)>,
    /// Something the caller may not see, with AWS's reason.
    pub denied: String,
}

impl Section {
    pub fn new(id: &str, title: &str) -> Self {
        Self {
            id: id.to_string(),
            title: title.to_string(),
            ..Self::default()
        }
    }
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }
    pub fn fact(mut self, term: &str, value: impl Into<String>) -> Self {
        self.facts.push((term.to_string(), value.into()));
        self
    }
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = code.into();
        self
    }
    pub fn table(mut self, table: Table) -> Self {
        self.tables.push(table);
        self
    }
    pub fn form(mut self, form: Form) -> Self {
        self.forms.push(form);
        self
    }
    pub fn link(mut self, text: &str, href: impl Into<String>) -> Self {
        self.links.push((text.to_string(), href.into()));
        self
    }
    pub fn denied(mut self, why: impl Into<String>) -> Self {
        self.denied = why.into();
        self
    }
}

impl ConsolePage {
    /// A page of `sections` for the signed-in principal, with no message of a change.
    pub fn plain(signed_in: SignedIn, title: &str, sections: Vec<Section>) -> Self {
        Self {
            csrf: signed_in.csrf.clone(),
            signed_in: Some(signed_in),
            title: title.to_string(),
            crumbs: vec![("Dashboard".into(), "/console".into())],
            notice: None,
            secrets: Vec::new(),
            download: None,
            error: None,
            sections,
        }
    }
}

#[derive(Template)]
#[template(path = "console.html")]
pub struct ConsolePage {
    pub signed_in: Option<SignedIn>,
    pub csrf: String,
    pub title: String,
    pub crumbs: Vec<(String, String)>,
    pub notice: Option<String>,
    /// Secrets made by the change just done, shown this once.
    pub secrets: Vec<(String, String)>,
    /// The secrets as a file: its name and `data:` URL.
    pub download: Option<(String, String)>,
    pub error: Option<String>,
    pub sections: Vec<Section>,
}
