"""What the warehouse is about: indicators, units, periods, Vietnamese text and numbers."""
