"""Pages anyone may open without signing in: a site's public report page and a report's tracking page."""
