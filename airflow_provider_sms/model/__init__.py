"""The data model: what hooks return and engines pass around, vendor-neutral and JSON-ready."""
