"""Reading scans and photos with Tesseract (issue 27): the one part of importing that runs a
program. Used by `handlers.importing` in the worker thread that reads files; the pure core
turns its word boxes into blocks (`bot.core.importing.ocr_layout`) and repairs the text
(`bot.core.repair`)."""
