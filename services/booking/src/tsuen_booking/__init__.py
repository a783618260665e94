"""tsuen booking service. 予約: facilities, interviews, regular (定期利用) and ad-hoc (柔軟利用)
bookings, cancellations, the monthly quota ledger.
"""
