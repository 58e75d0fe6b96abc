//! Text folding for quote matching (to be written).
