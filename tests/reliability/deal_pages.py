"""A small article page announcing a new OpenAI compute deal, for the process and database fault tests."""

from __future__ import annotations

COMPANIES = ["Brightwater", "Castlerock", "Dunmore", "Eastfield", "Foxglove", "Glenbrook", "Hartwell",
             "Ivydale", "Juniper", "Kingsmere", "Larchmont", "Mossgiel"]  # fmt: skip


def article_page(i: int, company: str) -> str:
    """Page ``i``: OpenAI signs a ${i + 2} billion deal with ``company``."""
    return (
        f"<html><head><title>OpenAI deal {i}</title></head><body><article><h1>OpenAI signs deal {i}</h1>"
        f"<p>OpenAI has signed a ${i + 2} billion agreement with {company} Ltd to rent computing capacity "
        f"over the next {i % 4 + 3} years, the companies said on Monday.</p>"
        f"<p>{company} is a cloud provider based in Europe. The contract starts next year and covers "
        f"data centres in three countries, according to a statement from the company.</p>"
        f"<p>Microsoft remains OpenAI's largest investor and a close partner of the company.</p>"
        f"</article></body></html>"
    )
