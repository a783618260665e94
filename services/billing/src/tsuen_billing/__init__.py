"""tsuen billing service: usage (利用実績) from booking's settlements, the municipality's 給付費
claim (請求) and the guardian's statement per facility and month, closed once and never changed."""
