"""The battle map (作战图): the task force's home page."""
