//! SQL functions both stores have, for diesel queries.

use diesel::sql_types::Text;

diesel::define_sql_function! {
    /// `lower(text)`: IAM compares names ignoring case, and the unique indexes are on lower(name).
    fn lower(x: Text) -> Text;
}
