# Bookings and visit logs arrive with their issues; both will point at
# sessions.Occurrence with on_delete=PROTECT.
