"""Everything that talks to Exact Online: OData helpers, error mapping, OAuth2 tokens, the rate
budget and the REST client (``hfexact.exact.client.ExactClient``)."""
