//! Quote anchoring against an article text index (to be written).
