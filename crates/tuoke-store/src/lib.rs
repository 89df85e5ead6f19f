//! tuoke-store (being written).
