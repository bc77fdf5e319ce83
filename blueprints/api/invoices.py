"""Invoice records for releases: issued by the provider (and the platform for its commission), read by both parties."""
from blueprints.api.routing import api_route, current_api_user, uploaded_file
from blueprints.api.schemas.invoices import InvoiceIn, InvoiceList, InvoiceOut
from blueprints.downloads import send_attachment
from services import invoices


@api_route("/contracts/<int:contract_id>/invoices", summary="The invoice records of a contract's releases",
           tag="Invoices", response=InvoiceList, errors=(404,))
def contract_invoices(contract_id: int):
    """The brand sees the provider's invoices to it; the provider also the platform's to it; staff all."""
    items = invoices.for_contract(current_api_user(), contract_id)
    return InvoiceList(items=[InvoiceOut.model_validate(i) for i in items], tax_rates=invoices.tax_rates())


@api_route("/milestones/<int:milestone_id>/invoice", "POST", summary="Record the invoice for a release",
           tag="Invoices", body=InvoiceIn, response=InvoiceOut, status=201, roles=("provider",),
           errors=(403, 404, 409, 422), idempotent=True)
def issue_invoice(milestone_id: int, body: InvoiceIn):
    """The contract's provider, once per released milestone or period; the amount is what the release paid it."""
    return InvoiceOut.model_validate(invoices.issue(current_api_user(), milestone_id, number=body.number,
                                                    tax_rate_bps=body.tax_rate_bps))


@api_route("/invoices/<int:invoice_id>/file", "POST", summary="Attach the official invoice PDF (multipart `file`)",
           tag="Invoices", response=InvoiceOut, status=201, roles=("provider",), errors=(404, 409, 413, 422),
           upload=True)
def attach_invoice_file(invoice_id: int):
    """Its issuer, once: a PDF that opens, up to 10 MB."""
    upload = uploaded_file()
    return InvoiceOut.model_validate(invoices.attach(current_api_user(), invoice_id, upload.stream,
                                                     upload.filename or ""))


@api_route("/invoices/<int:invoice_id>/file", summary="Download the attached official invoice PDF",
           tag="Invoices", errors=(404,), download=True)
def invoice_file(invoice_id: int):
    return send_attachment(invoices.file_of(current_api_user(), invoice_id))


@api_route("/admin/milestones/<int:milestone_id>/platform-invoice", "POST",
           summary="Record the platform's invoice for its commission on a release", tag="Invoices",
           response=InvoiceOut, status=201, roles=("admin",), errors=(403, 404, 409), idempotent=True)
def issue_platform_invoice(milestone_id: int):
    return InvoiceOut.model_validate(invoices.issue_platform(current_api_user(), milestone_id))
