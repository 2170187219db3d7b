"""The quarterly review pack (季度复盘材料) and the PDF exports."""
