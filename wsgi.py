import gc

from app import create_app

app = create_app()

# What starting made (modules, routes, models, the configuration) lives as long as the
# worker: kept out of the collector's full passes, which otherwise walk those 270,000
# objects every few dozen requests (a pause of up to 150 ms on a page).
gc.collect()
gc.freeze()
