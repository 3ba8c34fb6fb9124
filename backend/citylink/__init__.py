"""City platform link (市城运中心): signed outbound sync and signed inbound cases."""
