"""tsuen attendance service. 登降園: rotating 2D codes, check-in/out, staff fallback, lateness and
no-shows.
"""
