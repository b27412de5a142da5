"""Scoring kernels (no AnnData here): one small module per method plus a registry."""
