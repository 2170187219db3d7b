"""The problem list (问题清单): categories, issues, their workflow and traffic lights."""
