//! The chat's suggested next questions (quick replies) for a conversation's node or stage, in
//! its variety's script; shown on turn responses and conversations.

use tuoke_dialogue::ConversationState;

use crate::script;
use crate::state::AppState;

/// The quick replies for a conversation's node/stage, in its variety's script.
pub fn quick_replies(st: &AppState, s: &ConversationState) -> Vec<String> {
    st.company
        .info()
        .chat
        .quick_replies(&s.node, &s.stage, s.variety)
        .into_iter()
        .map(|q| script::for_variety(&q, s.variety).into_owned())
        .collect()
}
