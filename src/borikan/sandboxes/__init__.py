"""Stand-ins for external parties, each run as its own process and spoken to over real HTTP.

Standard library only, and no Django: they must behave like someone else's system.
"""
