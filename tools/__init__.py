"""Developer tools outside the product: the demo submissions and the README screenshot."""
