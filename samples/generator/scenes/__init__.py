"""Scene builders, one module per kind of place: facade, approach (entrance, driveway), interior."""
