"""Mind map of the problem framework; map and spreadsheet import and export."""
