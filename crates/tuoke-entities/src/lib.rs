//! tuoke-entities (being written).
