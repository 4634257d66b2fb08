"""HTTP plumbing: the Starlette app, routing, requests and errors, listing, time formats, control endpoints."""
