//! tuoke-dialogue (being written).
