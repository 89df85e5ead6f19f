pub mod analyze;
pub mod chat;
pub mod nlu;
pub mod serve;
