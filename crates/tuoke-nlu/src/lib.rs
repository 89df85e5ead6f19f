//! tuoke-nlu (being written).
