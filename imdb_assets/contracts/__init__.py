"""Data contracts: one pandera model per table boundary, the single source of truth for columns and types."""
