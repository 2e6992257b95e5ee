"""Reports computed off the request path and stored with the rows they cover."""
