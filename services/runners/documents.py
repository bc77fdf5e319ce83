"""The contract document job (services/contract_documents.py): render, store and record the PDF once.
Safe to run twice or at once: the row is unique per contract, and a run that loses keeps no file."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Contract, ContractDocument
from services import contract_documents, storage


def make_contract_document(contract_id: int) -> str:
    if db.session.scalar(select(ContractDocument.id).where(ContractDocument.contract_id == contract_id)):
        return "done before"
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        return "no contract"
    data = contract_documents.render(contract)
    stored_name, sha256 = storage.store_generated(data, contract_documents.FOLDER, "pdf")
    db.session.add(ContractDocument(contract_id=contract.id, stored_name=stored_name, sha256=sha256, size=len(data)))
    try:
        db.session.commit()
    except IntegrityError:  # another run got there first: its file stands, ours is removed with the rollback
        db.session.rollback()
        return "done before"
    return "made"
