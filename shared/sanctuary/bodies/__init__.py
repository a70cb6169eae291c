"""The bodies of the services' internal APIs, defined once: the owning service validates each
request with them, and the gateway's OpenAPI document describes the same schemas, so the two
cannot drift apart."""

# The groups a coordinator may see, as the gateway tells an internal API (comma-separated
# ids; empty: none); absent for a network admin and for public reads, which see every group.
GROUPS_HEADER = "X-Groups"
