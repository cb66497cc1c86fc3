"""OData v2 as Exact speaks it: $filter, query options and paging, JSON and Atom output."""
