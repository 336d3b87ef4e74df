//! First-start data: products, customers, a history of login attempts and a few tasks. Runs in
//! one IMMEDIATE transaction and only fills empty tables, so concurrent starts seed once.

use rusqlite::{Connection, TransactionBehavior, params};

/// (name, category, price, initial stock)
pub const PRODUCTS: [(&str, &str, f64, i64); 16] = [
    ("Espresso Beans 1kg", "coffee", 24.90, 120),
    ("Filter Coffee 500g", "coffee", 11.50, 150),
    ("Decaf Blend 250g", "coffee", 7.90, 8),
    ("Green Tea Sencha", "tea", 9.40, 90),
    ("Earl Grey Loose Leaf", "tea", 8.20, 110),
    ("Chai Spice Mix", "tea", 6.75, 6),
    ("Ceramic Mug", "kitchen", 12.00, 200),
    ("Pour-Over Dripper", "kitchen", 29.00, 60),
    ("Burr Grinder", "kitchen", 89.00, 25),
    ("Milk Frother", "kitchen", 34.50, 40),
    ("Travel Tumbler", "accessories", 19.95, 80),
    ("Paper Filters x100", "accessories", 4.50, 300),
    ("Gift Card 25", "gifts", 25.00, 500),
    ("Tasting Box", "gifts", 39.00, 30),
    ("Barista Apron", "accessories", 22.00, 9),
    ("Cold Brew Kit", "kitchen", 45.00, 35),
];

const FIRST: [&str; 10] = [
    "Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Grace", "Hugo", "Iris", "Jon",
];
const LAST: [&str; 5] = ["Miller", "Novak", "Okafor", "Perez", "Quinn"];

/// A tiny deterministic generator, so every fresh database holds the same history.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn count(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
}

fn ts(now: chrono::DateTime<chrono::Utc>, minutes_ago: i64) -> String {
    (now - chrono::Duration::minutes(minutes_ago)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Fills the empty tables; returns true when it seeded anything.
pub fn seed(conn: &mut Connection) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = chrono::Utc::now();
    let mut seeded = false;
    if count(&tx, "products")? == 0 {
        let mut stmt = tx.prepare(
            "INSERT INTO products (name, category, description, price, stock) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (name, category, price, stock) in PRODUCTS {
            let description = format!("{name} from the obslab shop's {category} range.");
            stmt.execute(params![name, category, description, price, stock])?;
        }
        seeded = true;
    }
    if count(&tx, "customers")? == 0 {
        let mut stmt = tx.prepare("INSERT INTO customers (name, email, created_at) VALUES (?1, ?2, ?3)")?;
        for (i, (first, last)) in LAST
            .iter()
            .flat_map(|l| FIRST.iter().map(move |f| (f, l)))
            .enumerate()
        {
            let email = format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase());
            stmt.execute(params![
                format!("{first} {last}"),
                email,
                ts(now, 60 * 24 * (50 - i as i64))
            ])?;
        }
        seeded = true;
    }
    if count(&tx, "login_attempts")? == 0 {
        let mut rng = Lcg(42);
        let mut stmt = tx
            .prepare("INSERT INTO login_attempts (email, ip, success, created_at) VALUES (?1, ?2, ?3, ?4)")?;
        for i in 0..300i64 {
            let (first, last) = (FIRST[rng.next(10) as usize], LAST[rng.next(5) as usize]);
            let email = format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase());
            // A few addresses try many passwords: the brute-force pattern the lessons look for.
            let attacker = rng.next(10) == 0;
            let ip = if attacker {
                format!("203.0.113.{}", 1 + rng.next(3))
            } else {
                format!("198.51.100.{}", 1 + rng.next(200))
            };
            let success = !attacker && rng.next(10) != 0;
            stmt.execute(params![email, ip, success, ts(now, 5 * (300 - i))])?;
        }
        seeded = true;
    }
    if count(&tx, "tasks")? == 0 {
        let mut stmt =
            tx.prepare("INSERT INTO tasks (title, done, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)")?;
        for (title, done) in [
            ("Check the shop dashboard", true),
            ("Find the slowest endpoint", false),
            ("Write an alert for payment errors", false),
        ] {
            stmt.execute(params![title, done, ts(now, 60)])?;
        }
        seeded = true;
    }
    tx.commit()?;
    Ok(seeded)
}
