"""The reports a manager sends upward (pure: values in, bytes out).

`data.collect` picks the rows and takes the counts from the digest; `workbook.build_xlsx` lays
them out as the Excel annex and `document.build_docx` as the Word báo cáo of Nghị định
30/2020/NĐ-CP; `wording` holds the words of the administrative forms both use.
"""
