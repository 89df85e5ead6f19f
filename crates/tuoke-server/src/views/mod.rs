//! The JSON views of the API: what a response body, a stored turn result or a live event shows
//! of the store's rows and the engine's state. No handler logic, no store access.

pub mod chat;
pub mod contact;
pub mod conversation;
pub mod customer;
pub mod event;
pub mod list;
pub mod message;
pub mod team;
pub mod time;
pub mod turn;
