//! The task list: plain CRUD on the tasks table.

use super::ApiState;
use crate::db::DbError;
use crate::http_util::{ApiError, ApiJson, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The body of POST and PUT.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskBody {
    pub title: String,
    #[serde(default)]
    pub done: Option<bool>,
}

impl TaskBody {
    /// The trimmed title, if valid.
    pub fn validated_title(&self) -> Result<String, ApiError> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(ApiError::bad_request("title must not be empty"));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(ApiError::bad_request(format!(
                "title must be at most {MAX_TITLE_CHARS} characters"
            )));
        }
        Ok(title.to_string())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: i64,
    pub title: String,
    pub done: bool,
    pub created_at: String,
    pub updated_at: String,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: r.get(0)?,
        title: r.get(1)?,
        done: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

async fn fetch(s: &ApiState, id: i64) -> Result<Option<Task>, DbError> {
    const SQL: &str = "SELECT id, title, done, created_at, updated_at FROM tasks WHERE id = ?1";
    s.db.query(SQL, move |c| {
        c.prepare_cached(SQL)?.query_row([id], from_row).optional()
    })
    .await
}

fn missing(id: i64) -> ApiError {
    ApiError::not_found(format!("task {id} not found"))
}

pub async fn list(State(s): State<ApiState>) -> Result<Json<Vec<Task>>, ApiError> {
    const SQL: &str = "SELECT id, title, done, created_at, updated_at FROM tasks ORDER BY id";
    let tasks =
        s.db.query(SQL, |c| {
            let mut stmt = c.prepare_cached(SQL)?;
            let rows = stmt.query_map([], from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    Ok(Json(tasks))
}

pub async fn one(State(s): State<ApiState>, Path(raw): Path<String>) -> Result<Json<Task>, ApiError> {
    let id = parse_id(&raw)?;
    fetch(&s, id).await?.map(Json).ok_or_else(|| missing(id))
}

pub async fn create(
    State(s): State<ApiState>,
    ApiJson(body): ApiJson<TaskBody>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let title = body.validated_title()?;
    let done = body.done.unwrap_or(false);
    const SQL: &str = "INSERT INTO tasks (title, done, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
        RETURNING id, title, done, created_at, updated_at";
    let now = crate::services::now_rfc3339();
    let task =
        s.db.query(SQL, move |c| {
            c.prepare_cached(SQL)?
                .query_row(params![title, done, now], from_row)
        })
        .await?;
    tracing::info!(task_id = task.id, "task created");
    Ok((StatusCode::CREATED, Json(task)))
}

pub async fn update(
    State(s): State<ApiState>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<TaskBody>,
) -> Result<Json<Task>, ApiError> {
    let id = parse_id(&raw)?;
    let title = body.validated_title()?;
    const SQL: &str = "UPDATE tasks SET title = ?2, done = COALESCE(?3, done), updated_at = ?4 WHERE id = ?1 \
        RETURNING id, title, done, created_at, updated_at";
    let (done, now) = (body.done, crate::services::now_rfc3339());
    let task =
        s.db.query(SQL, move |c| {
            c.prepare_cached(SQL)?
                .query_row(params![id, title, done, now], from_row)
                .optional()
        })
        .await?;
    task.map(Json).ok_or_else(|| missing(id))
}

pub async fn delete(State(s): State<ApiState>, Path(raw): Path<String>) -> Result<StatusCode, ApiError> {
    let id = parse_id(&raw)?;
    const SQL: &str = "DELETE FROM tasks WHERE id = ?1";
    let n = s.db.query(SQL, move |c| c.execute(SQL, [id])).await?;
    if n == 0 {
        return Err(missing(id));
    }
    tracing::info!(task_id = id, "task deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(title: &str) -> TaskBody {
        TaskBody {
            title: title.into(),
            done: None,
        }
    }

    #[test]
    fn titles_are_validated() {
        assert_eq!(body("  Buy milk ").validated_title().unwrap(), "Buy milk");
        assert!(body("   ").validated_title().is_err());
        assert!(body(&"x".repeat(200)).validated_title().is_ok());
        assert!(body(&"x".repeat(201)).validated_title().is_err());
        assert!(body(&"é".repeat(200)).validated_title().is_ok());
    }

    #[test]
    fn body_types_are_checked() {
        assert!(serde_json::from_str::<TaskBody>(r#"{"title":5}"#).is_err());
        assert!(serde_json::from_str::<TaskBody>(r#"{"done":true}"#).is_err());
        assert!(serde_json::from_str::<TaskBody>(r#"{"title":"a","done":"yes"}"#).is_err());
        let b: TaskBody = serde_json::from_str(r#"{"title":"a","done":true}"#).unwrap();
        assert_eq!(b.done, Some(true));
    }
}
