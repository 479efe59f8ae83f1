// base: the frame of a faceverify screen (title, optional note, content slot), shared by
// the verification component and the integrator's own pages.
Component({
  options: { addGlobalClass: true },
  properties: {
    title: { type: String, value: '' },
    note: { type: String, value: '' }
  }
});
