"""tsuen eligibility service. 認定: who may use the scheme — applications,
age/residency/enrollment checks, lottery and waitlist.
"""
