"""Pilots (试点) and their rollout (复制推广)."""
