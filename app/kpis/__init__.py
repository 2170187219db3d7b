"""Goal figures (KPIs) and their readings."""
