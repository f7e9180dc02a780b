// Rebuild when a migration changes: they are embedded in the binary by `embed_migrations!`.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
