"""What the facility staff's pages show and do, with the staff member's token, by area:
``roster`` (本日の利用予定), ``requests`` (初回面談 and 定期利用), ``bookings`` (the facility's
bookings, cancelling for a guardian, 代理予約), ``closures`` (臨時休園), ``capacity`` (利用枠と
開所時間) and ``report`` (月の利用実績); ``calls`` is how they call the services.
"""
