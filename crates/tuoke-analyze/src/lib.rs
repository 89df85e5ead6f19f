//! tuoke-analyze (being written).
