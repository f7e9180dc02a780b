//! The console's lists of users, groups, roles and policies: one page of a table read from
//! the store (`iam::tables`), searched and filtered by a GET form above it, sorted by its
//! column headers, and counted ("1–50 of 58") with previous and next links. The page's
//! state is its query string, so every view is a link.

use super::view::{Field, Form, Section, Table};
use super::{explain, field, iam, seg, Console};
use crate::aws_api::endpoint::AwsApi;
use crate::iam::tables::{Query, Sort};
use crate::iam::IamError;
use std::collections::HashMap;

/// Rows per page.
pub const PER_PAGE: i64 = 50;

/// One list page's state, read from its query.
pub struct List<'a> {
    path: &'static str,
    query: &'a HashMap<String, String>,
    /// The query parameters the page keeps in its links, beside sort, order and page.
    filters: &'static [&'static str],
    /// The sortable columns: index, the `sort` value naming it, and the order it stands
    /// for. The first is the default.
    columns: &'static [(usize, &'static str, Sort)],
}

impl<'a> List<'a> {
    pub fn new(
        path: &'static str,
        query: &'a HashMap<String, String>,
        filters: &'static [&'static str],
        columns: &'static [(usize, &'static str, Sort)],
    ) -> Self {
        Self {
            path,
            query,
            filters,
            columns,
        }
    }

    /// The query parameter `name` ("" when absent).
    pub fn get(&self, name: &str) -> &'a str {
        field(self.query, name)
    }

    fn sorted_by(&self) -> (usize, &'static str, Sort) {
        let asked = self.get("sort");
        self.columns
            .iter()
            .copied()
            .find(|(_, key, _)| *key == asked)
            .unwrap_or(self.columns[0])
    }

    fn descending(&self) -> bool {
        self.get("order") == "desc"
    }

    fn page_no(&self) -> i64 {
        self.get("page").parse().unwrap_or(1).max(1)
    }

    /// The rows to read: the search (`search`), path prefix (`path`), order and page.
    pub fn rows(&self) -> Query {
        Query {
            search: self.get("search").to_string(),
            path_prefix: self.get("path").to_string(),
            sort: self.sorted_by().2,
            descending: self.descending(),
            offset: (self.page_no() - 1) * PER_PAGE,
            limit: PER_PAGE,
        }
    }

    /// The page's rows, read by `page` from the store once `action` (the IAM listing action,
    /// with `extra` and `MaxItems` 1) has authorized and audited the principal's reading
    /// them; otherwise the words to show instead (AWS's reason, or that `what` could not be
    /// read).
    pub fn read<R>(
        &self,
        api: &AwsApi,
        c: &Console,
        (action, extra): (&str, &[(&str, &str)]),
        what: &str,
        page: impl FnOnce(&Query) -> Result<(Vec<R>, i64), IamError>,
    ) -> Result<(Vec<R>, i64), String> {
        let mut params = extra.to_vec();
        params.push(("MaxItems", "1"));
        iam(api, c, action, &params).map_err(|e| explain(&e))?;
        page(&self.rows()).map_err(|e| {
            tracing::error!(error = %e, "cannot read the {what} table");
            format!("The {what} could not be read.")
        })
    }

    /// The page's link with `changes` applied to its query ("" removes a parameter).
    pub fn link(&self, changes: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = self
            .filters
            .iter()
            .chain(&["sort", "order", "page"])
            .filter_map(|k| {
                let v = changes
                    .iter()
                    .find(|(c, _)| c == k)
                    .map_or_else(|| self.get(k), |(_, v)| *v);
                (!v.is_empty()).then_some((*k, v))
            })
            .collect();
        params.sort();
        let text: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", seg(v)))
            .collect();
        if text.is_empty() {
            self.path.to_string()
        } else {
            format!("{}?{}", self.path, text.join("&"))
        }
    }

    /// The search and filter form above the table: a name search labelled `what`, then
    /// `fields`; the current order rides along.
    pub fn filters(&self, id: &str, what: &str, fields: Vec<Field>) -> Form {
        let mut form = Form::get(id, self.path, "Search")
            .inline()
            .field(Field::text(what, "search").value(self.get("search")));
        for f in fields {
            form = form.field(f);
        }
        form.field(Field::hidden("sort", self.get("sort")))
            .field(Field::hidden("order", self.get("order")))
    }

    /// A text filter field of the form, holding its current value.
    pub fn text(&self, label: &str, name: &str) -> Field {
        Field::text(label, name).value(self.get(name))
    }

    /// A select filter field of the form, holding its current value.
    pub fn select(&self, label: &str, name: &str, options: &[(&str, &str)]) -> Field {
        Field::select(
            label,
            name,
            options
                .iter()
                .map(|(v, t)| (v.to_string(), t.to_string()))
                .collect(),
        )
        .value(self.get(name))
    }

    /// `table` with its sortable headers: each links to its order (ascending first, then the
    /// other way), the current one marked.
    pub fn sortable(&self, mut table: Table) -> Table {
        let (current, _, _) = self.sorted_by();
        for (index, key, _) in self.columns {
            let order = (*index == current).then_some(self.descending());
            let next = if order == Some(false) { "desc" } else { "asc" };
            table = table.sortable(
                *index,
                self.link(&[("sort", key), ("order", next), ("page", "")]),
                order,
            );
        }
        table
    }

    /// `section` with `table` (`shown` rows of `total`), its range and the previous and next
    /// page links.
    pub fn paged(
        &self,
        mut section: Section,
        mut table: Table,
        shown: usize,
        total: i64,
    ) -> Section {
        let q = self.rows();
        let last = q.offset + shown as i64;
        table.range = if shown == 0 {
            format!("0 of {total}")
        } else {
            format!("{}\u{2013}{last} of {total}", q.offset + 1)
        };
        section = section.table(table);
        let page_no = self.page_no();
        if page_no > 1 {
            let previous = (page_no - 1).to_string();
            section = section.link("Previous page", self.link(&[("page", &previous)]));
        }
        if last < total {
            let next = (page_no + 1).to_string();
            section = section.link("Next page", self.link(&[("page", &next)]));
        }
        section
    }
}
