"""Optional bridges to other CORS libraries."""
