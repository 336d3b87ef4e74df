//! The component table printed by `obslab up` and `obslab status`.

use crate::supervisor::status::{ComponentStatus, Health};
use comfy_table::{Cell, Color, Table, presets::UTF8_FULL_CONDENSED};

/// Renders components as a table: name, URL, pid, restarts, health.
pub fn components(components: &[ComponentStatus]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["component", "url", "pid", "restarts", "health"]);
    for c in components {
        let color = match c.health {
            Health::Healthy => Color::Green,
            Health::Starting | Health::Restarting => Color::Yellow,
            Health::Unhealthy | Health::Failed => Color::Red,
            Health::Stopped => Color::Grey,
        };
        table.add_row(vec![
            Cell::new(&c.name),
            Cell::new(c.url.as_deref().unwrap_or("-")),
            Cell::new(c.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into())),
            Cell::new(c.restarts),
            Cell::new(c.health.name()).fg(color),
        ]);
    }
    table
}
