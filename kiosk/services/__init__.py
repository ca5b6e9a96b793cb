"""Services between devices and flows: catalog, cases, cabinet, back-office link, fleet, audit."""
