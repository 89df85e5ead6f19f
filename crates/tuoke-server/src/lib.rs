//! tuoke-server (being written).
