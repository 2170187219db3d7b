"""Front-line submissions (调研意见) and their triage."""
